from .models import TinyViT, build_model

__all__ = ['TinyViT', 'build_model']
