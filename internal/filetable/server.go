// Package filetable is a DynamoDB stand-in whose tables are files: it
// serves DynamoDB's JSON protocol (AWS JSON 1.0) on 127.0.0.1, so the
// unmodified aws-sdk-go-v2 dynamodb client, its typed errors and its
// waiters work against it, and it keeps in memory only an index per table
// (an item's key and where its latest version is in the file), so that a
// run's memory does not grow with what it stores.
//
// It serves CreateTable (a hash key, optionally a range key; it answers
// CREATING, as DynamoDB does, and the table is ACTIVE from the next
// DescribeTable on), DescribeTable, DeleteTable, ListTables,
// PutItem (optionally conditional on attribute_exists or
// attribute_not_exists of a top-level attribute), GetItem and Scan (with
// projections of top-level attributes), checking requests as DynamoDB
// does. Everything else (other operations, other expressions, filters,
// indexes, parallel scans) is refused with a ValidationException (an
// UnknownOperationException for an operation) saying that orderpipe's file
// table does not support it: never half-done.
//
// Errors are DynamoDB's: its __type (ValidationException,
// SerializationException and UnknownOperationException in the namespaces
// DynamoDB sends them in, com.amazon.coral.*), its status and, where
// dynalite has them, its messages. Every read is strongly consistent,
// ConsistentRead or not. A Scan reads the keys in byte order, not by
// their hash as DynamoDB does: the order is DynamoDB's to choose.
//
// It does not check signatures, has no capacity limits or throttling, and
// writes without fsync: an item survives the process being killed, not the
// machine losing power. Each table is one append-only file in the
// directory given to Start; items are read with pread, never mapped, so
// what the tables hold stays out of the process's resident memory beyond
// the kernel's page cache. While a Server runs it holds an fcntl lock on
// the directory's LOCK file, so that a killed run's directory can be told
// from a live one's as LevelDB's can.
package filetable

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"hash/crc32"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"
)

// Server is a running stand-in.
type Server struct {
	// Endpoint is the URL to give a client: http://127.0.0.1:PORT.
	Endpoint string

	dir  string
	lock *os.File
	srv  *http.Server
	done chan struct{} // closed when Serve has returned

	connMu sync.Mutex
	conns  map[net.Conn]http.ConnState

	mu     sync.Mutex // guards what follows
	tables map[string]*table
	next   int // number of the next table file
	closed bool
}

// Start serves a stand-in whose tables are files in dir (which must exist;
// the caller removes it). Tables a previous Server left in dir are served
// again. It fails when another live Server holds dir.
func Start(dir string) (*Server, error) {
	fi, err := os.Stat(dir)
	if err != nil {
		return nil, fmt.Errorf("filetable: %w", err)
	}
	if !fi.IsDir() {
		return nil, fmt.Errorf("filetable: %s is not a directory", dir)
	}
	lock, err := lockDir(filepath.Join(dir, "LOCK"))
	if err != nil {
		return nil, fmt.Errorf("filetable: %w", err)
	}
	s := &Server{dir: dir, lock: lock, tables: map[string]*table{}, done: make(chan struct{})}
	if err := s.openTables(); err != nil {
		s.closeFiles()
		return nil, fmt.Errorf("filetable: %w", err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		s.closeFiles()
		return nil, fmt.Errorf("filetable: %w", err)
	}
	s.Endpoint = "http://" + ln.Addr().String()
	s.conns = map[net.Conn]http.ConnState{}
	s.srv = &http.Server{Handler: s, ReadHeaderTimeout: time.Minute, ReadTimeout: 5 * time.Minute, ConnState: s.track}
	go func() {
		defer close(s.done)
		_ = s.srv.Serve(ln)
	}()
	return s, nil
}

func (s *Server) openTables() error {
	paths, err := filepath.Glob(filepath.Join(s.dir, "t*.tbl"))
	if err != nil {
		return err
	}
	for _, p := range paths {
		n, err := strconv.Atoi(strings.TrimSuffix(strings.TrimPrefix(filepath.Base(p), "t"), ".tbl"))
		if err != nil {
			continue
		}
		s.next = max(s.next, n+1)
		t, err := openTable(p)
		if errors.Is(err, errNoDescription) {
			if err := os.Remove(p); err != nil {
				return err
			}
			continue
		}
		if err != nil {
			return err
		}
		s.tables[t.desc.TableName] = t
	}
	return nil
}

// Close stops serving, waits for the requests in flight, and closes the
// files (releasing the directory's lock).
func (s *Server) Close() error {
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		return nil
	}
	s.closed = true
	s.mu.Unlock()
	shut := make(chan error, 1)
	go func() { shut <- s.srv.Shutdown(context.Background()) }()
	// Shutdown waits for connections that have not sent a byte yet (a
	// client's spare connections) for 5 s before it takes them for idle:
	// they hold no request, so they are closed at once.
	tick := time.NewTicker(5 * time.Millisecond)
	defer tick.Stop()
	var err error
	for waiting := true; waiting; {
		select {
		case err = <-shut:
			waiting = false
		case <-tick.C:
			s.closeUnused()
		}
	}
	<-s.done
	if cerr := s.closeFiles(); err == nil {
		err = cerr
	}
	return err
}

// track keeps the connections' states for closeUnused.
func (s *Server) track(c net.Conn, st http.ConnState) {
	s.connMu.Lock()
	defer s.connMu.Unlock()
	if st == http.StateClosed || st == http.StateHijacked {
		delete(s.conns, c)
		return
	}
	s.conns[c] = st
}

// closeUnused closes the connections that have not read a byte of a
// request.
func (s *Server) closeUnused() {
	s.connMu.Lock()
	defer s.connMu.Unlock()
	for c, st := range s.conns {
		if st == http.StateNew {
			c.Close()
		}
	}
}

func (s *Server) closeFiles() error {
	var errs []error
	for _, t := range s.tables {
		t.mu.Lock()
		errs = append(errs, t.f.Close())
		t.mu.Unlock()
	}
	errs = append(errs, s.lock.Close())
	return errors.Join(errs...)
}

// maxRequest is DynamoDB's limit on a request's size (16 MB, that of a
// BatchWriteItem); no request served here comes near it.
const maxRequest = 16 << 20

const targetPrefix = "DynamoDB_20120810."

func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodPost {
		reply(w, http.StatusOK, []byte("healthy: dynamodb.us-east-1.amazonaws.com "))
		return
	}
	op, ok := strings.CutPrefix(r.Header.Get("X-Amz-Target"), targetPrefix)
	handle := operations[op]
	if !ok || handle == nil {
		target := r.Header.Get("X-Amz-Target")
		if ok && allOperations[op] {
			replyError(w, &apiError{http.StatusBadRequest, "com.amazon.coral.service#UnknownOperationException",
				"orderpipe's file table does not support the operation " + op, nil})
			return
		}
		replyError(w, &apiError{http.StatusBadRequest, "com.amazon.coral.service#UnknownOperationException",
			fmt.Sprintf("orderpipe's file table does not support the operation %q", target), nil})
		return
	}
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, maxRequest))
	if err != nil {
		replyError(w, &apiError{http.StatusRequestEntityTooLarge, "com.amazon.coral.service#SerializationException", err.Error(), nil})
		return
	}
	var members map[string]json.RawMessage
	if err := json.Unmarshal(body, &members); err != nil || members == nil {
		replyError(w, &apiError{http.StatusBadRequest, "com.amazon.coral.service#SerializationException", "Start of structure or map found where not expected", nil})
		return
	}
	for k, v := range members {
		if string(v) == "null" {
			delete(members, k) // as if absent: the SDKs omit what is unset
		}
	}
	if err := s.supports(op, members); err != nil {
		replyError(w, err)
		return
	}
	out, err := handle(s, r.Context(), members)
	if err != nil {
		replyError(w, err)
		return
	}
	reply(w, http.StatusOK, out)
}

// supports refuses a request member the operation does not support here.
func (s *Server) supports(op string, members map[string]json.RawMessage) error {
	for _, name := range sortedKeys(members) {
		if !supported[op][name] {
			return unsupportedf("%s in %s", name, op)
		}
	}
	if rc, ok := members["ReturnConsumedCapacity"]; ok && string(rc) != `"NONE"` {
		return unsupportedf("ReturnConsumedCapacity %s in %s: only NONE", rc, op)
	}
	return nil
}

type handler func(*Server, context.Context, map[string]json.RawMessage) ([]byte, error)

var operations = map[string]handler{
	"CreateTable":   (*Server).createTable,
	"DescribeTable": (*Server).describeTable,
	"DeleteTable":   (*Server).deleteTable,
	"ListTables":    (*Server).listTables,
	"PutItem":       (*Server).putItem,
	"GetItem":       (*Server).getItem,
	"Scan":          (*Server).scan,
}

// supported are the request members each operation takes here.
var supported = map[string]map[string]bool{
	"CreateTable":   set("TableName", "AttributeDefinitions", "KeySchema", "BillingMode", "ProvisionedThroughput"),
	"DescribeTable": set("TableName"),
	"DeleteTable":   set("TableName"),
	"ListTables":    set("ExclusiveStartTableName", "Limit"),
	"PutItem": set("TableName", "Item", "ConditionExpression", "ExpressionAttributeNames", "ExpressionAttributeValues",
		"ReturnValues", "ReturnValuesOnConditionCheckFailure", "ReturnConsumedCapacity"),
	"GetItem": set("TableName", "Key", "ConsistentRead", "ProjectionExpression", "ExpressionAttributeNames", "ReturnConsumedCapacity"),
	"Scan": set("TableName", "Limit", "ExclusiveStartKey", "ProjectionExpression", "ExpressionAttributeNames", "Select",
		"ConsistentRead", "ReturnConsumedCapacity"),
}

// allOperations are DynamoDB's operations, so that one not served here is
// named as such.
var allOperations = set("BatchExecuteStatement", "BatchGetItem", "BatchWriteItem", "CreateBackup", "CreateGlobalTable",
	"CreateTable", "DeleteBackup", "DeleteItem", "DeleteResourcePolicy", "DeleteTable", "DescribeBackup",
	"DescribeContinuousBackups", "DescribeContributorInsights", "DescribeEndpoints", "DescribeExport",
	"DescribeGlobalTable", "DescribeGlobalTableSettings", "DescribeImport", "DescribeKinesisStreamingDestination",
	"DescribeLimits", "DescribeTable", "DescribeTableReplicaAutoScaling", "DescribeTimeToLive",
	"DisableKinesisStreamingDestination", "EnableKinesisStreamingDestination", "ExecuteStatement",
	"ExecuteTransaction", "ExportTableToPointInTime", "GetItem", "GetResourcePolicy", "ImportTable", "ListBackups",
	"ListContributorInsights", "ListExports", "ListGlobalTables", "ListImports", "ListTables", "ListTagsOfResource",
	"PutItem", "PutResourcePolicy", "Query", "RestoreTableFromBackup", "RestoreTableToPointInTime", "Scan",
	"TagResource", "TransactGetItems", "TransactWriteItems", "UntagResource", "UpdateContinuousBackups",
	"UpdateContributorInsights", "UpdateGlobalTable", "UpdateGlobalTableSettings", "UpdateItem",
	"UpdateKinesisStreamingDestination", "UpdateTable", "UpdateTableReplicaAutoScaling", "UpdateTimeToLive")

func set(names ...string) map[string]bool {
	m := make(map[string]bool, len(names))
	for _, n := range names {
		m[n] = true
	}
	return m
}

// apiError is an error as DynamoDB answers it.
type apiError struct {
	status int
	typ    string // the __type, with its namespace
	msg    string
	item   []byte // ConditionalCheckFailedException's Item, when asked for
}

func (e *apiError) Error() string { return e.typ + ": " + e.msg }

// validationf is DynamoDB's ValidationException, in the namespace DynamoDB
// sends it in.
func validationf(format string, a ...any) error {
	return &apiError{http.StatusBadRequest, "com.amazon.coral.validate#ValidationException", fmt.Sprintf(format, a...), nil}
}

// unsupportedf refuses what DynamoDB would do but this stand-in does not.
func unsupportedf(format string, a ...any) error {
	return validationf("orderpipe's file table does not support "+format, a...)
}

func notFound(msg string) error {
	return &apiError{http.StatusBadRequest, "com.amazonaws.dynamodb.v20120810#ResourceNotFoundException", msg, nil}
}

func replyError(w http.ResponseWriter, err error) {
	var e *apiError
	var ev *errValue
	var es *errSerialization
	switch {
	case errors.As(err, &e):
	case errors.As(err, &ev):
		e = validationf("%s", ev.msg).(*apiError)
	case errors.As(err, &es):
		e = &apiError{http.StatusBadRequest, "com.amazon.coral.service#SerializationException", es.msg, nil}
	default:
		e = &apiError{http.StatusInternalServerError, "com.amazonaws.dynamodb.v20120810#InternalServerError", err.Error(), nil}
	}
	b := []byte(`{"__type":`)
	b = appendString(b, e.typ)
	b = append(b, `,"message":`...)
	b = appendString(b, e.msg)
	if e.item != nil {
		b = append(b, `,"Item":`...)
		b = append(b, e.item...)
	}
	reply(w, e.status, append(b, '}'))
}

// reply sends a body with the headers DynamoDB sends: its CRC-32, which
// the SDKs check, and a request ID.
func reply(w http.ResponseWriter, status int, body []byte) {
	var id [16]byte
	_, _ = rand.Read(id[:])
	h := w.Header()
	h.Set("Content-Type", "application/x-amz-json-1.0")
	h.Set("X-Amz-Crc32", strconv.FormatUint(uint64(crc32.ChecksumIEEE(body)), 10))
	h.Set("X-Amzn-Requestid", strings.ToUpper(hex.EncodeToString(id[:])))
	h.Set("Content-Length", strconv.Itoa(len(body)))
	w.WriteHeader(status)
	_, _ = w.Write(body)
}

// table finds a table, or answers as DynamoDB does for a table that is not
// there.
func (s *Server) table(name string) (*table, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	t := s.tables[name]
	if t == nil {
		return nil, notFound("Requested resource not found")
	}
	return t, nil
}

func sortedTableNames(m map[string]*table) []string {
	names := make([]string, 0, len(m))
	for n := range m {
		names = append(names, n)
	}
	sort.Strings(names)
	return names
}
