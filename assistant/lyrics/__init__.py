"""Lyrics: syllables, stress and rhyme from the CMU Pronouncing Dictionary, and how the words
sit on the melody. The dictionary loads on first use, never at start-up."""
