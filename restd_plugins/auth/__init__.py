"""Auth plugins (entry-point group ``restd.auth``; see ``restd_core.security``):
``none``, ``kbase`` and ``static-token``."""
