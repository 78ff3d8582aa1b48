"""The models: from-scratch ``nd`` RNN (seed 003); more arrive with the other seeds."""
