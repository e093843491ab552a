"""The analysed question: question types, follow-ups, translation and widening."""
