# A pure-Python (lazy-import) config: init_cfg types are classes, not strings.
# The checkpoint path is relative to the directory the config is run from.
from mmengine.model import PretrainedInit, TruncNormalInit

from sample_repo.mmengine_style.models import TinyViT

model = dict(
    type=TinyViT,
    init_cfg=dict(type=PretrainedInit, checkpoint='checkpoints/tiny_vit.pth'),
)
head_init_cfg = dict(type=TruncNormalInit, layer='Linear', std=0.02)
