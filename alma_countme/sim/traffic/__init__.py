"""Live HTTP: the local mirrorlist/metalink server, the replay client that sends a stream to a
server (and its feeder process, which reads the stream), the fixed reference client and the Locust file.
"""
