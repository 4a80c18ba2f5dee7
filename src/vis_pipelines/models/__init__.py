"""Model code (pure PyTorch, no Kedro, no file I/O): the shared Mask2Former-VIS core and the families."""
