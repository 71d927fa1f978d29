"""Intake: which files of the drop folder are exports, who they are (keys, hashes), what changed
since the last look, and the one safe way a dropped file is opened."""
