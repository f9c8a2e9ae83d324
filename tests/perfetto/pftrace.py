"""Reads a Perfetto trace decoded by protoc against tests/perfetto/trace_subset.proto
(protoc --decode=perfetto.protos.Trace) the way Perfetto's trace processor reads it, and checks
the rules of the format that protoc cannot:

- every field has a name: protoc knew its number and wire type from the schema;
- per packet sequence (trusted_packet_sequence_id): interned data is defined and used only after
  a packet with SEQ_INCREMENTAL_STATE_CLEARED, every iid used (event names, debug annotation
  names, callstacks and what they refer to) was defined on the same sequence since the last
  clear (in that packet or an earlier one), an iid is never redefined as something else, and a
  packet that defines or uses interned data says SEQ_NEEDS_INCREMENTAL_STATE;
- timestamps: on a sequence-scoped clock (64-127) the clock was declared by a ClockSnapshot on
  that sequence beside CLOCK_MONOTONIC, incremental clocks add up packet by packet; every time is
  rebuilt as CLOCK_MONOTONIC nanoseconds (the trace's primary clock);
- tracks: every track_uuid used (the event's or the sequence's TrackEventDefaults) and every
  parent_uuid was described by an earlier TrackDescriptor; every slice end closes a begin on the
  same track, never before it; what is still open at the end is reported.

load(path) -> Trace. As a script: python3 pftrace.py DECODED.txt prints a summary (JSON) and
the errors, exit status 1 if any.
"""
import codecs
import collections
import json
import sys

SEQ_CLEARED, SEQ_NEEDS = 1, 2
MONOTONIC = 3


def _scalar(v):
    if v.startswith('"'):
        return codecs.escape_decode(v[1:-1].encode("latin-1"))[0]
    if v in ("true", "false"):
        return v == "true"
    try:
        return int(v)
    except ValueError:
        pass
    try:
        return float(v)
    except ValueError:
        return v  # an enum value's name


def packets(path):
    """Each packet of the decoded trace as a message: a dict of field name -> list of values
    (messages are dicts, strings bytes, enums their names). Raises ValueError on an unnamed
    (unknown) field."""
    stack = None
    with open(path, encoding="latin-1") as f:
        for n, line in enumerate(f, 1):
            s = line.strip()
            if not s:
                continue
            if s[0].isdigit():
                raise ValueError("line %d: field %r is not in the schema (or has another wire "
                                 "type there): %s" % (n, s.split()[0].rstrip(":"), s))
            if s == "}":
                done = stack.pop()
                if not stack:
                    yield done
                continue
            if s.endswith(" {"):
                msg = {}
                if stack is None or not stack:
                    if s != "packet {":
                        raise ValueError("line %d: %s outside a packet" % (n, s))
                    stack = [msg]
                    continue
                stack[-1].setdefault(s[:-2], []).append(msg)
                stack.append(msg)
                continue
            name, _, val = s.partition(": ")
            stack[-1].setdefault(name, []).append(_scalar(val))


def one(msg, name, default=None):
    v = msg.get(name) if msg else None
    return v[-1] if v else default


def text(v):
    return v.decode("utf-8", "replace") if isinstance(v, bytes) else v


class _SeqState:
    def __init__(self):
        self.valid = False
        self.defaults = None
        self.interned = collections.defaultdict(dict)  # InternedData field -> iid -> entry


class Trace:
    def __init__(self):
        self.errors = []
        self.tracks = {}  # uuid -> dict(name, parent, kind, pid, tid, unit, unit_name)
        self.slices = collections.defaultdict(list)  # uuid -> [name, start, end, depth, args]
        self.open = collections.defaultdict(list)  # uuid -> slices never ended
        self.instants = []  # (ts, uuid, name, args, flow_ids, terminating_flow_ids)
        self.counters = collections.defaultdict(list)  # uuid -> [(ts, value)]
        self.samples = []  # (ts, pid, tid, [function names, outermost first], cpu_mode)
        self.function_names = set()
        self.slice_events = 0  # begins and ends
        self.packets = 0
        self.sequences = set()

    def err(self, msg):
        if len(self.errors) < 50:
            self.errors.append(msg)

    def thread_track(self, pid, tid):
        """The uuid of the thread track of (pid, tid), None if none."""
        for u, t in self.tracks.items():
            if t["kind"] == "thread" and (t["pid"], t["tid"]) == (pid, tid):
                return u
        return None

    def owner(self, uuid):
        """(pid, tid) of a thread track, (pid, 0) of a process track, else what its parent
        says; (None, None) for a track of no process."""
        seen = set()
        while uuid in self.tracks and uuid not in seen:
            seen.add(uuid)
            t = self.tracks[uuid]
            if t["kind"] == "thread":
                return t["pid"], t["tid"]
            if t["kind"] == "process":
                return t["pid"], 0
            uuid = t["parent"]
        return None, None

    def summary(self):
        return dict(packets=self.packets, sequences=len(self.sequences),
                    slice_events=self.slice_events, tracks=len(self.tracks),
                    instants=len(self.instants), samples=len(self.samples),
                    counter_values=sum(len(v) for v in self.counters.values()),
                    open_slices={str(k): [s[0] for s in v] for k, v in self.open.items() if v},
                    errors=self.errors)


class _Reader:
    def __init__(self):
        self.t = Trace()
        self.seqs = collections.defaultdict(_SeqState)
        self.clocks = {}  # (seq, clock id) -> [incremental, last value, offset to MONOTONIC]
        self.primary = None
        self.stacks = collections.defaultdict(list)  # uuid -> open slices
        self.last = {}  # uuid -> time of its latest slice event

    def lookup(self, st, field, iid, what, uses):
        uses[0] = True
        entry = st.interned[field].get(iid) if st.valid else None
        if entry is None:
            self.t.err("packet %d: %s iid %s is not defined on its sequence since its "
                       "incremental state was cleared" % (self.t.packets, what, iid))
        return entry

    def intern(self, st, idata):
        t = self.t
        if not st.valid:
            t.err("packet %d: interned data on a sequence whose incremental state was never "
                  "cleared" % t.packets)
            return
        for field, entries in idata.items():
            for e in entries:
                iid = one(e, "iid")
                if not iid:
                    t.err("packet %d: %s entry without an iid" % (t.packets, field))
                    continue
                old = st.interned[field].get(iid)
                if old is not None and old != e:
                    t.err("packet %d: %s iid %d redefined: %s, then %s" % (t.packets, field,
                                                                           iid, old, e))
                st.interned[field][iid] = e
                if field == "function_names":
                    t.function_names.add(text(one(e, "str")))

    def timestamp(self, pkt, seq, st):
        ts = one(pkt, "timestamp")
        if ts is None:
            return None
        cid = one(pkt, "timestamp_clock_id") or one(st.defaults, "timestamp_clock_id")
        cid = cid or self.primary or MONOTONIC
        if cid == MONOTONIC:
            return ts
        clk = self.clocks.get((seq, cid)) if 64 <= cid < 128 else None
        if clk is None:
            self.t.err("packet %d: timestamp on clock %d, which no ClockSnapshot of sequence "
                       "%d declared beside CLOCK_MONOTONIC" % (self.t.packets, cid, seq))
            return None
        if clk[0]:
            clk[1] += ts
            return clk[1] + clk[2]
        return ts + clk[2]

    def snapshot(self, snap, seq):
        clocks = {one(c, "clock_id"): c for c in snap.get("clocks", [])}
        if one(snap, "primary_trace_clock"):
            self.primary = MONOTONIC if one(snap, "primary_trace_clock") == \
                "BUILTIN_CLOCK_MONOTONIC" else -1
        mono = one(clocks.get(MONOTONIC), "timestamp")
        for cid, c in clocks.items():
            if cid is None or not 64 <= cid < 128:
                continue
            if not seq or mono is None:
                self.t.err("packet %d: sequence clock %d without a sequence or without "
                           "CLOCK_MONOTONIC in its snapshot" % (self.t.packets, cid))
                continue
            v = one(c, "timestamp", 0)
            self.clocks[(seq, cid)] = [bool(one(c, "is_incremental")), v, mono - v]

    def annotations(self, st, das, uses):
        out = {}
        for da in das or []:
            out[self.da_name(st, da, uses)] = self.da_value(st, da, uses)
        return out

    def da_name(self, st, da, uses):
        if "name_iid" in da:
            e = self.lookup(st, "debug_annotation_names", one(da, "name_iid"),
                            "debug annotation name", uses)
            return text(one(e, "name")) if e else None
        return text(one(da, "name"))

    def da_value(self, st, da, uses):
        if "dict_entries" in da:
            return {self.da_name(st, e, uses): self.da_value(st, e, uses)
                    for e in da["dict_entries"]}
        if "array_values" in da:
            return [self.da_value(st, e, uses) for e in da["array_values"]]
        for k in ("bool_value", "int_value", "double_value"):
            if k in da:
                return one(da, k)
        if "string_value" in da:
            return text(one(da, "string_value"))
        return None

    def track_event(self, te, ts, st, uses):
        t = self.t
        uuid = one(te, "track_uuid")
        if uuid is None:
            uuid = one(one(st.defaults, "track_event_defaults"), "track_uuid")
        if uuid is None or uuid not in t.tracks:
            t.err("packet %d: track event on track %s, which no earlier TrackDescriptor "
                  "describes" % (t.packets, uuid))
        if ts is None:
            t.err("packet %d: track event without a timestamp" % t.packets)
            return
        name = None
        if "name_iid" in te:
            e = self.lookup(st, "event_names", one(te, "name_iid"), "event name", uses)
            name = text(one(e, "name")) if e else None
        elif "name" in te:
            name = text(one(te, "name"))
        args = self.annotations(st, te.get("debug_annotations"), uses)
        typ = one(te, "type")
        if typ in ("TYPE_SLICE_BEGIN", "TYPE_SLICE_END"):
            t.slice_events += 1
            if ts < self.last.get(uuid, ts):
                t.err("packet %d: track %s goes back in time to %d" % (t.packets, uuid, ts))
            self.last[uuid] = ts
        if typ == "TYPE_SLICE_BEGIN":
            st_ = self.stacks[uuid]
            s = [name, ts, None, len(st_) + 1, args]
            st_.append(s)
            t.slices[uuid].append(s)
        elif typ == "TYPE_SLICE_END":
            if not self.stacks[uuid]:
                t.err("packet %d: slice end on track %s with no slice open" % (t.packets, uuid))
                return
            s = self.stacks[uuid].pop()
            s[2] = ts
            s[4].update(args)
        elif typ == "TYPE_INSTANT":
            t.instants.append((ts, uuid, name, args, te.get("flow_ids", []),
                               te.get("terminating_flow_ids", [])))
        elif typ == "TYPE_COUNTER":
            v = one(te, "counter_value")
            t.counters[uuid].append((ts, v if v is not None else one(te, "double_counter_value")))
        else:
            t.err("packet %d: track event of type %s" % (t.packets, typ))

    def descriptor(self, td):
        t = self.t
        uuid, parent = one(td, "uuid"), one(td, "parent_uuid")
        if not uuid:
            t.err("packet %d: TrackDescriptor without a uuid" % t.packets)
            return
        if parent is not None and parent not in t.tracks:
            t.err("packet %d: track %d's parent %d is not described before it" % (t.packets,
                                                                                  uuid, parent))
        d = dict(name=text(one(td, "name")), parent=parent, kind="track", pid=None, tid=None,
                 unit=None, unit_name=None)
        if "process" in td:
            pr = one(td, "process")
            d.update(kind="process", pid=one(pr, "pid"), name=text(one(pr, "process_name")))
        if "thread" in td:
            th = one(td, "thread")
            d.update(kind="thread", pid=one(th, "pid"), tid=one(th, "tid"),
                     name=text(one(th, "thread_name")))
        if "counter" in td:
            c = one(td, "counter")
            d.update(kind="counter", unit=one(c, "unit"), unit_name=text(one(c, "unit_name")))
        old = t.tracks.get(uuid)
        if old and old["kind"] != d["kind"]:
            t.err("packet %d: track %d described as a %s, then as a %s" % (t.packets, uuid,
                                                                           old["kind"], d["kind"]))
        t.tracks[uuid] = d

    def sample(self, ps, ts, st, uses):
        e = self.lookup(st, "callstacks", one(ps, "callstack_iid"), "callstack", uses)
        names = []
        for fid in (e or {}).get("frame_ids", []):
            fr = self.lookup(st, "frames", fid, "frame", uses)
            if not fr:
                continue
            m = one(fr, "mapping_id")
            mp = self.lookup(st, "mappings", m, "mapping", uses) if m else None
            for pid_ in (mp or {}).get("path_string_ids", []):
                self.lookup(st, "mapping_paths", pid_, "mapping path", uses)
            if mp and "build_id" in mp:
                self.lookup(st, "build_ids", one(mp, "build_id"), "build id", uses)
            fn = one(fr, "function_name_id")
            f = self.lookup(st, "function_names", fn, "function name", uses) if fn else None
            names.append(text(one(f, "str")) if f else None)
        self.t.samples.append((ts, one(ps, "pid"), one(ps, "tid"), names, one(ps, "cpu_mode")))

    def packet(self, pkt):
        t = self.t
        t.packets += 1
        seq = one(pkt, "trusted_packet_sequence_id", 0)
        flags = one(pkt, "sequence_flags", 0)
        if seq:
            t.sequences.add(seq)
        st = self.seqs[seq]
        if flags & SEQ_CLEARED:
            if not seq:
                t.err("packet %d: incremental state cleared without a sequence" % t.packets)
            st = self.seqs[seq] = _SeqState()
            st.valid = True
        if "trace_packet_defaults" in pkt:
            st.defaults = one(pkt, "trace_packet_defaults")
        uses = [False]
        if "interned_data" in pkt:
            uses[0] = True
            self.intern(st, one(pkt, "interned_data"))
        if "clock_snapshot" in pkt:
            self.snapshot(one(pkt, "clock_snapshot"), seq)
        ts = self.timestamp(pkt, seq, st)
        if "track_descriptor" in pkt:
            self.descriptor(one(pkt, "track_descriptor"))
        if "track_event" in pkt:
            self.track_event(one(pkt, "track_event"), ts, st, uses)
        if "perf_sample" in pkt:
            self.sample(one(pkt, "perf_sample"), ts, st, uses)
        if uses[0] and not flags & SEQ_NEEDS:
            t.err("packet %d: defines or uses interned data without SEQ_NEEDS_INCREMENTAL_STATE"
                  % t.packets)

    def finish(self):
        for uuid, st in self.stacks.items():
            if st:
                self.t.open[uuid] = list(st)
        return self.t


def load(path):
    """The Trace of the protoc text at @path; rule violations are in .errors."""
    r = _Reader()
    try:
        for pkt in packets(path):
            r.packet(pkt)
    except ValueError as e:
        r.t.err(str(e))
    return r.finish()


if __name__ == "__main__":
    tr = load(sys.argv[1])
    print(json.dumps(tr.summary(), indent=1))
    for e in tr.errors:
        print("FAIL: " + e, file=sys.stderr)
    sys.exit(1 if tr.errors else 0)
