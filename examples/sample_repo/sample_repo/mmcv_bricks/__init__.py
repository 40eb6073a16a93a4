from .convnet import ConvNet, build_model

__all__ = ['ConvNet', 'build_model']
