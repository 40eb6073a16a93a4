from .models import TinyResNet, build_model

__all__ = ['TinyResNet', 'build_model']
