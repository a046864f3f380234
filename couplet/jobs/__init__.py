"""Running job queue entries: the in-process scheduler used by `couplet worker`."""
