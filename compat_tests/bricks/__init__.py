"""Generated differential suite for the layer bricks (builders and ConvModule)."""
