"""What persists and coordinates a study: journal and its lock, the RDB storage, slots, claims.

This floor sits below :mod:`genesis.samplers` and :mod:`genesis.optimizer` and imports
neither. Its modules are imported by path (the package loads nothing on its own), so a
worker process that needs only :mod:`genesis.storage.interrupts` stays light.
"""
