"""A small conv net built from mmcv 1.x layer bricks (ConvModule, build_*_layer, a
custom conv registered in CONV_LAYERS) and loaded with load_checkpoint."""
import torch.nn as nn
from mmcv.cnn import (CONV_LAYERS, ConvModule, build_activation_layer,
                      build_conv_layer, build_norm_layer, build_padding_layer,
                      build_upsample_layer)
from mmcv.runner import BaseModule, load_checkpoint


@CONV_LAYERS.register_module()
class SampleConv(nn.Conv2d):
    """A conv registered by name, with its own init_weights (ConvModule leaves it alone)."""

    def init_weights(self):
        nn.init.uniform_(self.weight, -0.1, 0.1)
        if self.bias is not None:
            nn.init.zeros_(self.bias)


class ConvNet(BaseModule):

    def __init__(self, in_channels=3, width=8, num_classes=5, pretrained=None,
                 init_cfg=None):
        if init_cfg is None:
            # ConvModule re-initialises its own conv and norm after this runs (mmcv's
            # behaviour): the Constant reaches only the plain convs below.
            init_cfg = [
                dict(type='Normal', layer='Linear', std=0.01),
                dict(type='Constant', layer='Conv2d', val=0.05, bias=0.0),
            ]
        super().__init__(init_cfg)
        self.pretrained = pretrained
        self.pad = build_padding_layer(dict(type='reflect'), 1)
        self.stem = ConvModule(in_channels, width, 3, stride=2,
                               norm_cfg=dict(type='BN'),
                               act_cfg=dict(type='LeakyReLU', negative_slope=0.1))
        self.block = ConvModule(width, width, 3, padding=1,
                                conv_cfg=dict(type='SampleConv'),
                                norm_cfg=dict(type='GN', num_groups=2),
                                act_cfg=dict(type='HSwish'),
                                order=('conv', 'act', 'norm'),
                                padding_mode='reflect')
        self.mix = ConvModule(width, width, 1, with_spectral_norm=True,
                              act_cfg=dict(type='Swish'), bias=True)
        self.norm_name, norm = build_norm_layer(dict(type='BN'), width, postfix=1)
        self.add_module(self.norm_name, norm)
        self.clamp = build_activation_layer(dict(type='Clamp', min=-3.0, max=3.0))
        self.up = build_upsample_layer(dict(type='deconv'), width, width,
                                       kernel_size=2, stride=2)
        self.down = build_conv_layer(dict(type='Conv'), width, width, 3,
                                     stride=2, padding=1)
        self.fc = nn.Linear(width, num_classes)

    @property
    def norm1(self):
        return getattr(self, self.norm_name)

    def init_weights(self):
        super().init_weights()
        if self.pretrained is not None:
            load_checkpoint(self, self.pretrained, map_location='cpu', strict=False)

    def forward(self, x):
        x = self.stem(self.pad(x))
        x = self.mix(self.block(x))
        x = self.down(self.up(self.clamp(self.norm1(x))))
        return self.fc(x.mean(dim=(2, 3)))


def build_model(pretrained=None):
    """The model the bricks proof initialises before (mmcv) and after migration (mminit)."""
    return ConvNet(pretrained=pretrained)
