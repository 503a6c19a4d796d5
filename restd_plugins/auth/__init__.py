"""Auth plugins (entry-point group ``restd.auth``; see ``restd_core.pipeline.security``):
``none``, ``kbase`` and ``static-token``."""
