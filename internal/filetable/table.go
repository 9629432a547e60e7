package filetable

import (
	"bufio"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"hash/crc32"
	"io"
	"os"
	"slices"
	"strings"
	"sync"
)

// A table is an append-only file of records: the first one its
// description, each later one an item under its key. Only an index is in
// memory: key -> slot, and per slot the key and where the item's latest
// record is. A Scan reads the keys in their byte order (sorted when a Scan
// finds keys added since the last), so that it can go on after any
// ExclusiveStartKey, an item's or not, as DynamoDB's does.
//
// A record is [uint32 payload length][uint32 CRC-32C of payload][payload];
// an item's payload is [uvarint key length][key][item JSON]. A record cut
// short (a run killed mid-write), or zeros after the last record (a machine
// that crashed), end the file when it is opened again.
type table struct {
	mu      sync.RWMutex
	f       *os.File
	path    string
	end     int64 // where the next record goes
	desc    tableDesc
	index   map[string]uint32
	slots   []loc
	keys    []string // per slot
	order   []uint32 // slots by key, as of the last Scan
	deleted bool
}

// loc is where an item's JSON is in the file.
type loc struct {
	off int64
	n   uint32
}

// tableDesc is what CreateTable was told, as DescribeTable answers it.
type tableDesc struct {
	TableName            string
	KeySchema            []keySchemaElement
	AttributeDefinitions []attributeDefinition
	BillingMode          string
	ReadCapacityUnits    int64
	WriteCapacityUnits   int64
	CreationDateTime     float64
	TableID              string
}

type keySchemaElement struct{ AttributeName, KeyType string }
type attributeDefinition struct{ AttributeName, AttributeType string }

const recordHeader = 8

var castagnoli = crc32.MakeTable(crc32.Castagnoli)

// createTable writes a new table's file.
func createTable(path string, d tableDesc) (*table, error) {
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return nil, err
	}
	t := &table{f: f, path: path, desc: d, index: map[string]uint32{}}
	meta, err := json.Marshal(d)
	if err != nil {
		f.Close()
		return nil, err
	}
	if _, err := t.append(meta); err != nil {
		f.Close()
		os.Remove(path)
		return nil, err
	}
	return t, nil
}

// errNoDescription is a table file whose first record was cut short: a
// run killed inside CreateTable, which never answered.
var errNoDescription = errors.New("no table description")

// openTable reads a table's file back: its description and its index.
func openTable(path string) (*table, error) {
	f, err := os.OpenFile(path, os.O_RDWR, 0)
	if err != nil {
		return nil, err
	}
	t := &table{f: f, path: path, index: map[string]uint32{}}
	if err := t.load(); err != nil {
		f.Close()
		return nil, fmt.Errorf("table file %s: %w", path, err)
	}
	return t, nil
}

func (t *table) load() error {
	fi, err := t.f.Stat()
	if err != nil {
		return err
	}
	size := fi.Size()
	r := bufio.NewReaderSize(io.NewSectionReader(t.f, 0, size), 64<<10)
	var off int64
	var hdr [recordHeader]byte
	var payload []byte
	for first := true; ; first = false {
		if _, err := io.ReadFull(r, hdr[:]); err != nil {
			break // the end, or a header cut short
		}
		n := binary.LittleEndian.Uint32(hdr[:4])
		if n == 0 || int64(n) > size-off-recordHeader {
			// Every record holds a description or a key; a length of 0
			// is zeros (whose CRC-32C is 0) where a machine's crash left
			// the file longer than what reached the disk, and a length
			// past the end a header cut short.
			break
		}
		if cap(payload) < int(n) {
			payload = make([]byte, n)
		}
		payload = payload[:n]
		if _, err := io.ReadFull(r, payload); err != nil || crc32.Checksum(payload, castagnoli) != binary.LittleEndian.Uint32(hdr[4:]) {
			break // a record cut short
		}
		if first {
			if err := json.Unmarshal(payload, &t.desc); err != nil {
				return fmt.Errorf("description: %w", err)
			}
		} else {
			klen, w := binary.Uvarint(payload)
			if w <= 0 || uint64(len(payload)-w) < klen {
				return fmt.Errorf("record at %d: bad key", off)
			}
			key := string(payload[w : w+int(klen)])
			start := recordHeader + int64(w) + int64(klen)
			t.point(key, loc{off: off + start, n: n - uint32(start-recordHeader)})
		}
		off += recordHeader + int64(n)
	}
	if off == 0 {
		return errNoDescription
	}
	t.end = off
	// What follows the last whole record is a write cut short: the next
	// record overwrites it.
	return t.f.Truncate(off)
}

// point makes key's item the one at l.
func (t *table) point(key string, l loc) {
	if s, ok := t.index[key]; ok {
		t.slots[s] = l
		return
	}
	t.index[key] = uint32(len(t.slots))
	t.slots = append(t.slots, l)
	t.keys = append(t.keys, key)
}

// scanOrder brings order up to date; the caller holds mu for writing.
func (t *table) scanOrder() {
	if len(t.order) == len(t.slots) {
		return
	}
	for s := len(t.order); s < len(t.slots); s++ {
		t.order = append(t.order, uint32(s))
	}
	slices.SortFunc(t.order, func(a, b uint32) int { return strings.Compare(t.keys[a], t.keys[b]) })
}

// after is the position in order of the first key after key.
func (t *table) after(key string) int {
	i, found := slices.BinarySearchFunc(t.order, key, func(s uint32, k string) int { return strings.Compare(t.keys[s], k) })
	if found {
		i++
	}
	return i
}

// append writes a record at the end of the file; the caller holds mu for
// writing (or owns t alone).
func (t *table) append(payload []byte) (int64, error) {
	rec := make([]byte, recordHeader+len(payload))
	binary.LittleEndian.PutUint32(rec[:4], uint32(len(payload)))
	binary.LittleEndian.PutUint32(rec[4:8], crc32.Checksum(payload, castagnoli))
	copy(rec[recordHeader:], payload)
	if _, err := t.f.WriteAt(rec, t.end); err != nil {
		// Whatever part was written is past t.end: the next record
		// overwrites it, and a reopen stops at it.
		return 0, fmt.Errorf("append to %s: %w", t.path, err)
	}
	off := t.end
	t.end += int64(len(rec))
	return off, nil
}

// put writes the item under key; the caller holds mu for writing.
func (t *table) put(key string, itemJSON []byte) error {
	payload := binary.AppendUvarint(nil, uint64(len(key)))
	payload = append(payload, key...)
	start := len(payload)
	payload = append(payload, itemJSON...)
	off, err := t.append(payload)
	if err != nil {
		return err
	}
	t.point(key, loc{off: off + recordHeader + int64(start), n: uint32(len(itemJSON))})
	return nil
}

// get reads key's item's JSON, nil when there is none; the caller holds mu.
func (t *table) get(key string) ([]byte, error) {
	s, ok := t.index[key]
	if !ok {
		return nil, nil
	}
	return t.read(t.slots[s])
}

func (t *table) read(l loc) ([]byte, error) {
	b := make([]byte, l.n)
	if _, err := t.f.ReadAt(b, l.off); err != nil {
		return nil, fmt.Errorf("read %s at %d: %w", t.path, l.off, err)
	}
	return b, nil
}
