// ZeroMQ: see the package overview in Package.swift.
import CZMQ
