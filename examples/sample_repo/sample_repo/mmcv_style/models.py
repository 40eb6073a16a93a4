"""A small ResNet-like backbone written against mmcv 1.x."""
import torch.nn as nn
from mmcv.cnn import build_norm_layer, constant_init, kaiming_init  # noqa: F401
from mmcv.cnn import xavier_init as xavier
from mmcv.runner import (BaseModule,
                         Sequential)

from .heads import ClsHead, Neck


class BasicBlock(BaseModule):

    def __init__(self, channels, init_cfg=None):
        super().__init__(init_cfg)
        self.conv1 = nn.Conv2d(channels, channels, 3, padding=1, bias=False)
        self.norm1 = build_norm_layer(dict(type='BN'), channels)[1]
        self.conv2 = nn.Conv2d(channels, channels, 3, padding=1, bias=False)
        self.norm2 = build_norm_layer(dict(type='BN'), channels)[1]
        self.relu = nn.ReLU(inplace=True)

    def forward(self, x):
        out = self.relu(self.norm1(self.conv1(x)))
        return self.relu(x + self.norm2(self.conv2(out)))


class TinyResNet(BaseModule):

    def __init__(self, width=8, num_blocks=2, num_classes=10, zero_init_residual=True,
                 init_cfg=None):
        if init_cfg is None:
            init_cfg = [
                dict(type='Kaiming', layer='Conv2d', mode='fan_out', nonlinearity='relu'),
                dict(type='Constant', val=1, bias=0, layer=['_BatchNorm', 'GroupNorm']),
                dict(type='Normal', std=0.02, override=dict(name='proj')),
            ]
        super().__init__(init_cfg)
        self.stem = Sequential(
            nn.Conv2d(3, width, 3, stride=2, padding=1, bias=False),
            build_norm_layer(dict(type='BN'), width)[1],
            nn.ReLU(inplace=True),
        )
        self.layers = Sequential(*[BasicBlock(width) for _ in range(num_blocks)])
        self.proj = nn.Conv2d(width, width, 1)
        self.extra = nn.Conv2d(width, width, 1)
        self.neck = Neck(width)
        self.head = ClsHead(width, num_classes)
        self.zero_init_residual = zero_init_residual

    def init_weights(self):
        super().init_weights()
        xavier(self.extra, distribution='uniform')
        if self.zero_init_residual:
            for block in self.layers:
                constant_init(block.norm2, 0)

    def forward(self, x):
        x = self.layers(self.stem(x))
        return self.head(self.neck(self.extra(self.proj(x))))


def build_model() -> nn.Module:
    """The model ``mminit check`` initialises before and after migration."""
    return TinyResNet()
