"""LibCST codemods that move OpenMMLab init-system imports onto mminit."""
