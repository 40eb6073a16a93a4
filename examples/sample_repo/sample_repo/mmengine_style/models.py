"""A small ViT-like model written against mmengine."""
import torch
import torch.nn as nn
import mmengine.model as mmodel
from mmengine.model import BaseModel, BaseModule, ModuleList, constant_init as const_init
from mmengine.model.weight_init import trunc_normal_


class MLP(BaseModule):

    def __init__(self, dim, hidden, init_cfg=None):
        super().__init__(init_cfg)
        self.fc1 = nn.Linear(dim, hidden)
        self.act = nn.GELU()
        self.fc2 = nn.Linear(hidden, dim)

    def forward(self, x):
        return self.fc2(self.act(self.fc1(x)))


class Block(BaseModule):

    def __init__(self, dim, heads, init_cfg=None):
        super().__init__(init_cfg)
        self.norm1 = nn.LayerNorm(dim)
        self.attn = nn.MultiheadAttention(dim, heads, batch_first=True)
        self.norm2 = nn.LayerNorm(dim)
        self.mlp = MLP(dim, dim * 2, init_cfg=dict(type='Xavier', layer='Linear',
                                                    distribution='uniform'))

    def forward(self, x):
        y = self.norm1(x)
        x = x + self.attn(y, y, y, need_weights=False)[0]
        return x + self.mlp(self.norm2(x))


class TinyViT(BaseModule):

    def __init__(self, img_size=16, patch=4, dim=32, depth=2, heads=2, num_classes=10,
                 init_cfg=None):
        if init_cfg is None:
            init_cfg = [
                dict(type='TruncNormal', layer='Linear', std=0.02, bias=0.),
                dict(type='Constant', layer='LayerNorm', val=1., bias=0.),
            ]
        super().__init__(init_cfg)
        self.patch_embed = nn.Conv2d(3, dim, patch, stride=patch)
        num_patches = (img_size // patch) ** 2
        self.cls_token = nn.Parameter(torch.zeros(1, 1, dim))
        self.pos_embed = nn.Parameter(torch.zeros(1, num_patches + 1, dim))
        self.blocks = ModuleList([Block(dim, heads) for _ in range(depth)])
        self.norm = nn.LayerNorm(dim)
        self.head = nn.Linear(dim, num_classes)

    def init_weights(self):
        super().init_weights()
        if isinstance(self.init_cfg, dict) and self.init_cfg.get('type') == 'Pretrained':
            return
        trunc_normal_(self.pos_embed, std=0.02)
        trunc_normal_(self.cls_token, std=0.02)
        mmodel.trunc_normal_init(self.patch_embed, std=0.02)
        const_init(self.head, 0)

    def forward(self, x):
        x = self.patch_embed(x).flatten(2).transpose(1, 2)
        x = torch.cat([self.cls_token.expand(x.shape[0], -1, -1), x], dim=1) + self.pos_embed
        for block in self.blocks:
            x = block(x)
        return self.head(self.norm(x)[:, 0])


class Classifier(BaseModel):
    """A data-preprocessing wrapper: ``BaseModel`` is not an init name and stays in mmengine."""

    def __init__(self):
        super().__init__()
        self.backbone = TinyViT()

    def forward(self, inputs, data_samples=None, mode='tensor'):
        return self.backbone(inputs)


def build_model() -> nn.Module:
    """The model ``mminit check`` initialises before and after migration."""
    return TinyViT()


def build_classifier() -> nn.Module:
    """An mmengine ``BaseModel`` (stays upstream) around a backbone that moves to mminit."""
    return Classifier()
