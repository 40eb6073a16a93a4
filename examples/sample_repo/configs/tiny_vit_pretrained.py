# A pure-Python (lazy-import) config: init_cfg types are classes, not strings.
from mmengine.model import PretrainedInit, TruncNormalInit

model = dict(
    type='TinyViT',
    init_cfg=dict(type=PretrainedInit, checkpoint='checkpoints/tiny_vit.pth'),
)
head_init_cfg = dict(type=TruncNormalInit, layer='Linear', std=0.02)
