"""A small legacy package in the OpenMMLab style, used to test ``mminit migrate``."""
