"""An independent Sparkplug B edge node for Takt's interoperability test (PyPI pysparkplug).

usage: pysparkplug_node.py HOST PORT GROUP NODE MODE
  MODE will:       births, data, then the process dies so the broker publishes the NDEATH will
  MODE disconnect: births, then a clean disconnect (pysparkplug publishes NDEATH itself)
"""

import datetime
import os
import sys
import time

import pysparkplug as psp

host, port, group, node_id, mode = sys.argv[1], int(sys.argv[2]), sys.argv[3], sys.argv[4], sys.argv[5]
T = psp.DataType
now = psp.get_current_timestamp


def metric(name, datatype, value, alias):
    return psp.Metric(timestamp=now(), name=name, datatype=datatype, value=value, alias=alias)


node = psp.EdgeNode(
    group,
    node_id,
    [
        metric("Line/State", T.INT32, 6, 1),
        metric("Line/Good", T.UINT64, 100, 2),
        metric("Temp", T.DOUBLE, 21.5, 3),
        metric("Label", T.STRING, "Filler A", 4),
        metric("Offset", T.INT8, -5, 5),
    ],
)
stamp = datetime.datetime(2026, 11, 2, 8, 30, tzinfo=datetime.timezone.utc)
node.register(
    psp.Device(
        "filler",
        [
            metric("Good", T.UINT32, 5, 10),
            metric("Speeds", T.FLOAT_ARRAY, (1.5, -2.0), 11),
            metric("Flags", T.BOOLEAN_ARRAY, (True, False, True), 12),
            metric("Names", T.STRING_ARRAY, ("a", "b"), 13),
            metric("Counts", T.INT16_ARRAY, (-1, 300), 14),
            metric("Running", T.BOOLEAN, True, 15),
            metric("Stamp", T.DATETIME, stamp, 16),
            psp.Metric(timestamp=now(), name="Spare", datatype=T.DOUBLE, value=None, alias=17),
        ],
    )
)
node.connect(host, port=port, blocking=False)
deadline = time.time() + 10
while not node._connected:
    if time.time() > deadline:
        sys.exit("pysparkplug edge node did not connect within 10 s")
    time.sleep(0.05)
time.sleep(0.3)

if mode == "disconnect":
    node.disconnect()
    time.sleep(0.3)
    print("done", flush=True)
    sys.exit(0)

# Data as pysparkplug's API sends it: names and datatypes included.
node.update_device("filler", [metric("Speeds", T.FLOAT_ARRAY, (3.0,), 11)])
node.update([metric("Line/Good", T.UINT64, 101, 2)])
# Data as most edge nodes send it: alias only, no name, no datatype (the host takes it from
# the birth). Built with pysparkplug's own payload classes and the node's seq counter.
ddata = psp.DData(
    now(),
    seq=node._seq,
    metrics=(psp.Metric(timestamp=now(), name=None, datatype=T.UINT32, value=7, alias=10),),
)
node._client.publish(
    psp.Message(
        topic=psp.Topic(
            message_type=psp.MessageType.DDATA, group_id=group, edge_node_id=node_id, device_id="filler"
        ),
        payload=ddata,
        qos=psp.QoS.AT_MOST_ONCE,
        retain=False,
    ),
    include_dtypes=False,
)
time.sleep(0.3)
print("done", flush=True)
# Die without DISCONNECT: the broker publishes the NDEATH will registered at connect.
os._exit(0)
