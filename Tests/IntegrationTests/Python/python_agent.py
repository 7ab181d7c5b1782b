#!/usr/bin/env python3
"""A minimal third-party cellfleet agent in Python, written only from schemas/wire/README.md.

It proves the wire schema is usable from another language: pyzmq for the DEALER socket and the
protobuf classes that `protoc --python_out` generates from schemas/wire/cellfleet.proto (put the
generated cellfleet_pb2.py on PYTHONPATH).

Usage: python_agent.py ENDPOINT AGENT_ID SAMPLES
Prints one JSON line: {"samples_produced": N, "samples_acked": M, "test_id": "..."}.
"""
import json
import math
import sys
import time
import uuid

import zmq

import cellfleet_pb2 as wire


def envelope(**body):
    message = wire.Envelope(protocol_version=1)
    for name, value in body.items():
        getattr(message, name).CopyFrom(value)
    return message.SerializeToString()


def main():
    endpoint, agent_id, total = sys.argv[1], sys.argv[2], int(sys.argv[3])
    context = zmq.Context()
    socket = context.socket(zmq.DEALER)
    socket.setsockopt(zmq.ROUTING_ID, agent_id.encode())
    socket.setsockopt(zmq.LINGER, 0)
    socket.connect(endpoint)

    def receive(timeout_ms):
        if socket.poll(timeout_ms) == 0:
            return None
        reply = wire.Envelope()
        reply.ParseFromString(socket.recv())
        return reply

    hello = wire.Hello(agent_id=agent_id, software_version="python-agent/1", agent_epoch=1,
                       min_protocol_version=1, max_protocol_version=1)
    hello.channels.add(channel_id="py1", cycler_make="python", cycler_model="test",
                       current_min_a=-0.01, current_max_a=0.01, voltage_min_v=-5, voltage_max_v=5)
    credit = 0
    deadline = time.time() + 30
    while credit == 0 and time.time() < deadline:
        socket.send(envelope(hello=hello))
        reply = receive(1000)
        if reply is not None and reply.WhichOneof("body") == "welcome":
            credit = reply.welcome.credit
    if credit == 0:
        sys.exit("no welcome from the coordinator")

    test_id = str(uuid.uuid4())
    deliveries = [envelope(test_start=wire.TestStart(
        delivery_id=1, test_id=test_id, agent_id=agent_id, channel_id="py1",
        cell=wire.Cell(cell_id="py-cell-1", cell_type=wire.CELL_TYPE_SYMMETRIC, electrode_area_m2=0.785e-4,
                       attributes={"coating": "LiAlO2", "language": "python"}),
        start_unix_time_s=time.time()))]
    produced = 0
    delivery_id = 2
    while produced < total:
        n = min(250, total - produced)
        first = produced + 1
        seq = range(first, first + n)
        batch = wire.SampleBatch(
            delivery_id=delivery_id, test_id=test_id, first_seq=first,
            unix_time_s=[time.time()] * n,
            test_time_s=[float(s) for s in seq],
            voltage_v=[0.2 * (1 if (s // 3600) % 2 == 0 else -1) for s in seq],
            current_a=[7.85e-5 * (1 if (s // 3600) % 2 == 0 else -1) for s in seq],
            temperature_c=[25.0 + 0.1 * math.sin(s) for s in seq],
            step_index=[1 + s // 3600 for s in seq],
            step_type=[wire.STEP_TYPE_CC_CHARGE if (s // 3600) % 2 == 0 else wire.STEP_TYPE_CC_DISCHARGE for s in seq],
            cycle_index=[1 + s // 7200 for s in seq])
        deliveries.append(envelope(sample_batch=batch))
        produced += n
        delivery_id += 1
    deliveries.append(envelope(test_end=wire.TestEnd(
        delivery_id=delivery_id, test_id=test_id, last_seq=produced, end_unix_time_s=time.time(), reason="completed")))

    # Send within the credit window; keep everything until acknowledged.
    sizes = {1: 0, delivery_id: 0}
    for index in range(2, delivery_id):
        sizes[index] = min(250, total - (index - 2) * 250)
    unacked = {i + 1: payload for i, payload in enumerate(deliveries)}
    acked_samples = 0
    next_to_send = 1
    deadline = time.time() + 60
    while unacked and time.time() < deadline:
        in_flight = [i for i in unacked if i < next_to_send]
        while next_to_send <= delivery_id and len(in_flight) < credit:
            socket.send(unacked[next_to_send])
            in_flight.append(next_to_send)
            next_to_send += 1
        reply = receive(2000)
        if reply is None:
            next_to_send = min(unacked)  # nothing heard: re-send what is unacknowledged
            continue
        kind = reply.WhichOneof("body")
        if kind == "ack":
            for i in reply.ack.delivery_ids:
                if unacked.pop(i, None) is not None:
                    acked_samples += sizes[i]
        elif kind == "error":
            sys.exit(f"coordinator refused delivery {reply.error.delivery_id}: {reply.error.message}")
    print(json.dumps({"samples_produced": produced, "samples_acked": acked_samples, "test_id": test_id}))
    socket.close()
    context.term()


if __name__ == "__main__":
    main()
