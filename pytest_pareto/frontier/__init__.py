"""The frontier: which stored points compare, accepting points, variant groups, indicators."""
