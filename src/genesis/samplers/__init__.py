"""What proposes the next trial: the space, the elite sampler, repeat avoidance, the factory.

This floor sits above :mod:`genesis.storage` and below :mod:`genesis.optimizer`, which it
never imports. Its modules are imported by path (the package loads nothing on its own).
"""
