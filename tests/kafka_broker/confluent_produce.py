"""Produces a JSON Lines file of CloudEvents to Kafka with the confluent-kafka client (an
outside client, for gpuledger's tests), in structured or binary content mode.

usage: confluent_produce.py BROKERS TOPIC FILE structured|binary
Prints the number of records delivered; exits 1 if any delivery failed.
"""
import json
import sys

from confluent_kafka import Producer


def record(line, mode):
    if mode == "structured":
        return line.encode(), [("content-type", b"application/cloudevents+json")]
    event = json.loads(line)
    headers = []
    for name, value in event.items():
        if name == "data":
            continue
        if name == "datacontenttype":
            headers.append(("content-type", value.encode()))
        else:
            headers.append(("ce_" + name, value.encode()))
    data = json.dumps(event["data"], separators=(",", ":"), ensure_ascii=False)
    return data.encode(), headers


def main():
    brokers, topic, path, mode = sys.argv[1:5]
    producer = Producer({"bootstrap.servers": brokers, "enable.idempotence": True})
    failed = []
    delivered = [0]

    def report(err, _msg):
        if err is not None:
            failed.append(str(err))
        else:
            delivered[0] += 1

    with open(path, encoding="utf-8") as f:
        for line in f:
            line = line.rstrip("\r\n")
            if not line.strip():
                continue
            value, headers = record(line, mode)
            producer.produce(topic, value=value, headers=headers, on_delivery=report)
            producer.poll(0)
    producer.flush(60)
    print(delivered[0])
    if failed:
        print("failed: " + failed[0], file=sys.stderr)
        sys.exit(1)


if __name__ == "__main__":
    main()
