# cli: see the top-level Makefile.am (work in progress)
