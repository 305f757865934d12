"""What users run: the ``colorize-cnn`` command line (``cli``), its local web page (``serve``,
``server`` and ``web/``), and the terminal conventions both share (``console``). The library never
imports this wing."""
