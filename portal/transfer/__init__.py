"""Moving a portal: the whole instance as a JSON archive, and ideas, votes and comments from CSV."""
