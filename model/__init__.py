"""Model code: labels, sentence splitting, input encoding, the Tagger and its evidence extraction."""
