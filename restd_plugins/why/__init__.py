"""The why plugin: why jobs are held (``/v1/why/held/{schedd}``), counted
by the schedd itself, with a few example jobs of each reason."""
