"""Heads written the mmcv 1.x way: ``import mmcv`` attribute uses and an import fallback."""
import torch.nn as nn

import mmcv

try:
    from mmcv.runner import BaseModule
except ImportError:  # mmcv missing: the head still imports, as a plain torch module
    from torch.nn import Module as BaseModule

MMCV_VERSION = mmcv.__version__


class Neck(mmcv.runner.BaseModule):
    """A 1x1 conv neck, initialised by hand in ``init_weights``."""

    def __init__(self, channels, init_cfg=None):
        super().__init__(init_cfg)
        self.reduce = nn.Conv2d(channels, channels, 1)

    def init_weights(self):
        super().init_weights()
        mmcv.cnn.kaiming_init(self.reduce, mode='fan_in', nonlinearity='relu')

    def forward(self, x):
        return self.reduce(x)


class ClsHead(BaseModule):

    def __init__(self, in_channels, num_classes,
                 init_cfg=dict(type='Normal', layer='Linear', std=0.01)):
        super().__init__(init_cfg=init_cfg)
        self.pool = nn.AdaptiveAvgPool2d(1)
        self.fc = nn.Linear(in_channels, num_classes)

    def forward(self, x):
        return self.fc(self.pool(x).flatten(1))
