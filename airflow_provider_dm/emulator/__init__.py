"""The protocol emulator: a real HTTP server speaking the Instagram Direct private API.

`Emulator` (in `server`) serves it; `EmulatorControl` (in `control`) drives its admin API.
"""
