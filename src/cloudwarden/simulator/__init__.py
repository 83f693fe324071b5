"""The simulated AWS account: moto in-process, extended where moto is silent.

Importing this package does nothing; `SimulatorServer.start()` configures and starts moto.
"""
