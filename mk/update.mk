## update: sources, tests and man pages of this part.
