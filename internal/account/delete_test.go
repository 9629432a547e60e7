package account

import (
	"context"
	"encoding/json"
	"encoding/xml"
	"errors"
	"fmt"
	"hash/crc32"
	"io"
	"maps"
	"net/http"
	"net/http/httptest"
	"net/url"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
)

// fakeAPI answers, on one endpoint, the operations of the services that
// Find and Delete call, each in its service's protocol: DynamoDB's and
// SQS's JSON (X-Amz-Target), IAM's query (Action, XML replies) and Lambda's
// REST JSON. Each test gives the operations it needs.
type fakeAPI struct {
	mu    sync.Mutex
	ops   map[string]func(in map[string]string) (any, *apiErr)
	calls []string
}

// apiErr is an error reply: the service's error code and HTTP status.
type apiErr struct {
	code   string
	status int
}

// xmlReply is a query-protocol reply's result element.
type xmlReply string

func (f *fakeAPI) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(r.Body)
	in := map[string]string{}
	var op string
	switch target := r.Header.Get("X-Amz-Target"); {
	case target != "":
		op = target[strings.LastIndex(target, ".")+1:]
		var m map[string]any
		json.Unmarshal(body, &m)
		for k, v := range m {
			in[k] = fmt.Sprint(v)
		}
	case strings.HasPrefix(r.URL.Path, "/2015-03-31/"):
		parts := strings.Split(strings.TrimPrefix(r.URL.Path, "/2015-03-31/"), "/")
		op = r.Method + " " + parts[0]
		in["id"], _ = url.PathUnescape(parts[len(parts)-1])
	default:
		form, _ := url.ParseQuery(string(body))
		op = form.Get("Action")
		for k := range form {
			in[k] = form.Get(k)
		}
	}
	f.mu.Lock()
	f.calls = append(f.calls, op)
	handle := f.ops[op]
	f.mu.Unlock()
	if handle == nil {
		http.Error(w, "no operation "+op, http.StatusNotImplemented)
		return
	}
	out, e := handle(in)
	var reply []byte
	switch {
	case e != nil && r.Header.Get("X-Amz-Target") != "":
		w.Header().Set("Content-Type", "application/x-amz-json-1.0")
		reply, _ = json.Marshal(map[string]string{"__type": e.code, "message": e.code})
	case e != nil && strings.HasPrefix(r.URL.Path, "/2015-03-31/"):
		w.Header().Set("X-Amzn-Errortype", e.code)
		reply, _ = json.Marshal(map[string]string{"message": e.code})
	case e != nil:
		w.Header().Set("Content-Type", "text/xml")
		reply = fmt.Appendf(nil, "<ErrorResponse><Error><Type>Sender</Type><Code>%s</Code><Message>%[1]s</Message></Error><RequestId>1</RequestId></ErrorResponse>", e.code)
	default:
		if x, ok := out.(xmlReply); ok {
			w.Header().Set("Content-Type", "text/xml")
			reply = fmt.Appendf(nil, "<%sResponse><%[1]sResult>%s</%[1]sResult><ResponseMetadata><RequestId>1</RequestId></ResponseMetadata></%[1]sResponse>", op, x)
		} else {
			w.Header().Set("Content-Type", "application/x-amz-json-1.0")
			reply, _ = json.Marshal(out)
		}
	}
	w.Header().Set("X-Amz-Crc32", fmt.Sprint(crc32.ChecksumIEEE(reply)))
	status := http.StatusOK
	if e != nil {
		status = e.status
	}
	w.WriteHeader(status)
	w.Write(reply)
}

func (f *fakeAPI) called(op string) int {
	f.mu.Lock()
	defer f.mu.Unlock()
	n := 0
	for _, c := range f.calls {
		if c == op {
			n++
		}
	}
	return n
}

// account returns an AWS on f that polls every millisecond.
func (f *fakeAPI) account(t *testing.T) *AWS {
	srv := httptest.NewServer(f)
	t.Cleanup(srv.Close)
	a := NewAWS(aws.Config{Region: "eu-west-1", Credentials: credentials.NewStaticCredentialsProvider("AKID", "SECRET", ""),
		BaseEndpoint: aws.String(srv.URL), RetryMaxAttempts: 1})
	a.wait, a.maxWait = time.Millisecond, 5*time.Millisecond
	return a
}

// lifecycle is a resource that passes through states as AWS documents them:
// a transitional state (CREATING, DELETING...) lasts a number of polls.
type lifecycle struct {
	mu    sync.Mutex
	state string // "" once gone
	polls int    // polls left in a transitional state
	next  map[string]string
}

// poll is the state a describe sees; a transitional state ends after its
// polls.
func (l *lifecycle) poll() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	s := l.state
	if n, ok := l.next[s]; ok {
		if l.polls--; l.polls < 0 {
			l.state, l.polls = n, 2
		}
	}
	return s
}

func (l *lifecycle) set(state string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.state, l.polls = state, 2
}

func (l *lifecycle) get() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.state
}

// DynamoDB's DeleteTable, per its API reference: ResourceNotFoundException
// for a table that does not exist; ResourceInUseException while it is
// CREATING or UPDATING; no error while it is DELETING; otherwise it starts
// the deletion, and DescribeTable sees DELETING until the table is gone.
// Delete returns once it is gone (its name may be used again), and at once
// for a table already gone.
func TestDeleteTable(t *testing.T) {
	for _, tc := range []struct {
		state       string
		wantDeletes int
	}{
		{"", 1},
		{"ACTIVE", 1},
		{"DELETING", 1},
		{"CREATING", 2},
		{"UPDATING", 2},
	} {
		t.Run("table "+tc.state, func(t *testing.T) {
			table := &lifecycle{next: map[string]string{"CREATING": "ACTIVE", "UPDATING": "ACTIVE", "DELETING": ""}}
			table.set(tc.state)
			api := &fakeAPI{ops: map[string]func(map[string]string) (any, *apiErr){
				"DeleteTable": func(map[string]string) (any, *apiErr) {
					switch table.get() {
					case "":
						return nil, &apiErr{"ResourceNotFoundException", 400}
					case "CREATING", "UPDATING":
						return nil, &apiErr{"ResourceInUseException", 400}
					case "ACTIVE":
						table.set("DELETING")
					}
					return map[string]any{"TableDescription": map[string]any{"TableName": "t", "TableStatus": "DELETING"}}, nil
				},
				"DescribeTable": func(map[string]string) (any, *apiErr) {
					s := table.poll()
					if s == "" {
						return nil, &apiErr{"ResourceNotFoundException", 400}
					}
					return map[string]any{"Table": map[string]any{"TableName": "t", "TableStatus": s}}, nil
				},
			}}
			start := time.Now()
			err := api.account(t).Delete(context.Background(), Resource{ARN: "arn:aws:dynamodb:eu-west-1:123456789012:table/t"})
			if err != nil {
				t.Fatal(err)
			}
			if s := table.get(); s != "" {
				t.Errorf("Delete returned while the table is %s", s)
			}
			if n := api.called("DeleteTable"); n != tc.wantDeletes {
				t.Errorf("%d DeleteTable calls, want %d", n, tc.wantDeletes)
			}
			if tc.state == "" && (api.called("DescribeTable") != 0 || time.Since(start) > time.Second) {
				t.Errorf("the delete of a table already gone waited: %d describes, %v", api.called("DescribeTable"), time.Since(start))
			}
		})
	}
}

// Lambda's DeleteEventSourceMapping, per its API reference:
// ResourceInUseException while the mapping is Creating, Updating (or
// Enabling, Disabling); then Deleting until it is gone; one mapping per
// event source and function, so Delete returns once it is gone.
func TestDeleteEventSourceMapping(t *testing.T) {
	for _, state := range []string{"", "Enabled", "Disabled", "Creating", "Updating", "Deleting"} {
		t.Run("mapping "+state, func(t *testing.T) {
			m := &lifecycle{next: map[string]string{"Creating": "Enabled", "Updating": "Enabled", "Deleting": ""}}
			m.set(state)
			refused := 0
			api := &fakeAPI{ops: map[string]func(map[string]string) (any, *apiErr){
				"DELETE event-source-mappings": func(map[string]string) (any, *apiErr) {
					switch s := m.get(); s {
					case "":
						return nil, &apiErr{"ResourceNotFoundException", 404}
					case "Creating", "Updating":
						refused++
						m.poll() // time passes
						return nil, &apiErr{"ResourceInUseException", 409}
					case "Enabled", "Disabled":
						m.set("Deleting")
					}
					return map[string]any{"UUID": "u", "State": "Deleting"}, nil
				},
				"GET event-source-mappings": func(map[string]string) (any, *apiErr) {
					s := m.poll()
					if s == "" {
						return nil, &apiErr{"ResourceNotFoundException", 404}
					}
					return map[string]any{"UUID": "u", "State": s}, nil
				},
			}}
			err := api.account(t).Delete(context.Background(), Resource{ARN: "arn:aws:lambda:eu-west-1:123456789012:event-source-mapping:u"})
			if err != nil {
				t.Fatal(err)
			}
			if s := m.get(); s != "" {
				t.Errorf("Delete returned while the mapping is %s", s)
			}
			if (state == "Creating" || state == "Updating") != (refused > 0) {
				t.Errorf("%d deletes refused with ResourceInUseException", refused)
			}
		})
	}
}

// IAM's DeleteRole refuses (DeleteConflict) a role that is in an instance
// profile or has policies; Delete removes them first. A role already gone is
// no error.
func TestDeleteRole(t *testing.T) {
	for _, exists := range []bool{true, false} {
		var mu sync.Mutex
		profiles, inline, attached := []string{"p1", "p2"}, []string{"inline"}, []string{"arn:aws:iam::aws:policy/ReadOnlyAccess"}
		roleGone := !exists
		remove := func(list *[]string, v string) *apiErr {
			mu.Lock()
			defer mu.Unlock()
			i := slices.Index(*list, v)
			if i < 0 || roleGone {
				return &apiErr{"NoSuchEntity", 404}
			}
			*list = slices.Delete(*list, i, i+1)
			return nil
		}
		members := func(tag string, list []string) (any, *apiErr) {
			mu.Lock()
			defer mu.Unlock()
			if roleGone {
				return nil, &apiErr{"NoSuchEntity", 404}
			}
			var b strings.Builder
			for _, v := range list {
				b.WriteString("<member>")
				if tag == "" {
					xml.EscapeText(&b, []byte(v))
				} else {
					fmt.Fprintf(&b, "<%s>", tag)
					xml.EscapeText(&b, []byte(v))
					fmt.Fprintf(&b, "</%s>", tag)
				}
				b.WriteString("</member>")
			}
			return b.String(), nil
		}
		api := &fakeAPI{ops: map[string]func(map[string]string) (any, *apiErr){
			"ListInstanceProfilesForRole": func(map[string]string) (any, *apiErr) {
				m, e := members("InstanceProfileName", profiles)
				return xmlReply("<InstanceProfiles>" + fmt.Sprint(m) + "</InstanceProfiles><IsTruncated>false</IsTruncated>"), e
			},
			"RemoveRoleFromInstanceProfile": func(in map[string]string) (any, *apiErr) {
				return xmlReply(""), remove(&profiles, in["InstanceProfileName"])
			},
			"ListRolePolicies": func(map[string]string) (any, *apiErr) {
				m, e := members("", inline)
				return xmlReply("<PolicyNames>" + fmt.Sprint(m) + "</PolicyNames><IsTruncated>false</IsTruncated>"), e
			},
			"DeleteRolePolicy": func(in map[string]string) (any, *apiErr) { return xmlReply(""), remove(&inline, in["PolicyName"]) },
			"ListAttachedRolePolicies": func(map[string]string) (any, *apiErr) {
				m, e := members("PolicyArn", attached)
				return xmlReply("<AttachedPolicies>" + fmt.Sprint(m) + "</AttachedPolicies><IsTruncated>false</IsTruncated>"), e
			},
			"DetachRolePolicy": func(in map[string]string) (any, *apiErr) { return xmlReply(""), remove(&attached, in["PolicyArn"]) },
			"DeleteRole": func(map[string]string) (any, *apiErr) {
				mu.Lock()
				defer mu.Unlock()
				switch {
				case roleGone:
					return nil, &apiErr{"NoSuchEntity", 404}
				case len(profiles)+len(inline)+len(attached) > 0:
					return nil, &apiErr{"DeleteConflict", 409}
				}
				roleGone = true
				return xmlReply(""), nil
			},
		}}
		if err := api.account(t).Delete(context.Background(), Resource{ARN: "arn:aws:iam::123456789012:role/r"}); err != nil {
			t.Errorf("role exists %v: %v", exists, err)
		}
		if !roleGone {
			t.Errorf("role exists %v: the role was not deleted: %v", exists, api.calls)
		}
	}
}

// Find reads each resource's tags, through each service's own call, so that
// a caller can tell whose it is; untagged is empty, not nil; a name nobody
// holds is not found.
func TestFindReadsTags(t *testing.T) {
	theirs := map[string]string{"orderpipe:owner": "someone-else", "stack": "pr-1"}
	for _, tags := range []map[string]string{theirs, {}} {
		var tagList []map[string]string
		for _, k := range slices.Sorted(maps.Keys(tags)) {
			tagList = append(tagList, map[string]string{"Key": k, "Value": tags[k]})
		}
		var roleTags strings.Builder
		for _, kv := range tagList {
			fmt.Fprintf(&roleTags, "<member><Key>%s</Key><Value>%s</Value></member>", kv["Key"], kv["Value"])
		}
		exists := func(name string) bool { return name == "held" }
		api := &fakeAPI{ops: map[string]func(map[string]string) (any, *apiErr){
			"DescribeTable": func(in map[string]string) (any, *apiErr) {
				if !exists(in["TableName"]) {
					return nil, &apiErr{"ResourceNotFoundException", 400}
				}
				return map[string]any{"Table": map[string]any{"TableArn": "arn:aws:dynamodb:eu-west-1:123456789012:table/held", "TableStatus": "ACTIVE"}}, nil
			},
			"ListTagsOfResource": func(in map[string]string) (any, *apiErr) {
				// One tag a page, as a caller must follow NextToken.
				i := 0
				fmt.Sscan(in["NextToken"], &i)
				out := map[string]any{"Tags": tagList[i:min(i+1, len(tagList))]}
				if i+1 < len(tagList) {
					out["NextToken"] = fmt.Sprint(i + 1)
				}
				return out, nil
			},
			"GetQueueUrl": func(in map[string]string) (any, *apiErr) {
				if !exists(in["QueueName"]) {
					return nil, &apiErr{"com.amazonaws.sqs#QueueDoesNotExist", 400}
				}
				return map[string]any{"QueueUrl": "https://sqs.eu-west-1.amazonaws.com/123456789012/held"}, nil
			},
			"GetQueueAttributes": func(map[string]string) (any, *apiErr) {
				return map[string]any{"Attributes": map[string]string{"QueueArn": "arn:aws:sqs:eu-west-1:123456789012:held"}}, nil
			},
			"ListQueueTags": func(map[string]string) (any, *apiErr) {
				if len(tags) == 0 {
					return map[string]any{}, nil // SQS leaves Tags out
				}
				return map[string]any{"Tags": tags}, nil
			},
			"GET functions": func(in map[string]string) (any, *apiErr) {
				if !exists(in["id"]) {
					return nil, &apiErr{"ResourceNotFoundException", 404}
				}
				out := map[string]any{"Configuration": map[string]any{"FunctionArn": "arn:aws:lambda:eu-west-1:123456789012:function:held"}}
				if len(tags) > 0 {
					out["Tags"] = tags
				}
				return out, nil
			},
			"GetCallerIdentity": func(map[string]string) (any, *apiErr) {
				return xmlReply("<Arn>arn:aws:iam::123456789012:user/ci</Arn><Account>123456789012</Account><UserId>AIDA</UserId>"), nil
			},
			"GetTopicAttributes": func(in map[string]string) (any, *apiErr) {
				if in["TopicArn"] != "arn:aws:sns:eu-west-1:123456789012:held" {
					return nil, &apiErr{"NotFound", 404}
				}
				return xmlReply("<Attributes><entry><key>TopicArn</key><value>" + in["TopicArn"] + "</value></entry></Attributes>"), nil
			},
			"ListTagsForResource": func(map[string]string) (any, *apiErr) {
				return xmlReply("<Tags>" + roleTags.String() + "</Tags>"), nil
			},
			"GetRole": func(in map[string]string) (any, *apiErr) {
				if !exists(in["RoleName"]) {
					return nil, &apiErr{"NoSuchEntity", 404}
				}
				return xmlReply("<Role><RoleName>held</RoleName><Arn>arn:aws:iam::123456789012:role/held</Arn><Tags>" + roleTags.String() + "</Tags></Role>"), nil
			},
		}}
		a := api.account(t)
		for _, typ := range []string{"aws:dynamodb/table:Table", "aws:sqs/queue:Queue", "aws:sns/topic:Topic", "aws:lambda/function:Function", "aws:iam/role:Role"} {
			r, found, err := a.Find(context.Background(), typ, "held")
			if err != nil || !found || Name(r.ARN) != "held" || r.Tags == nil || !maps.Equal(r.Tags, tags) {
				t.Errorf("%s tagged %v: found %v %+v (%v)", typ, tags, found, r, err)
			}
			if r, found, err := a.Find(context.Background(), typ, "free"); err != nil || found {
				t.Errorf("%s of a name nobody holds: found %v %+v (%v)", typ, found, r, err)
			}
		}
	}
}

// An ARN names its resource's region (IAM's and a dashboard's name none:
// they are global); AWS's deletes act on a name in the client's region, so
// Delete refuses an ARN of another region, calling nothing, rather than
// delete the resource of that name in its own.
func TestDeleteActsOnlyInItsRegion(t *testing.T) {
	for _, tc := range []struct {
		arn   string
		op    string // the call that deletes it
		moved bool   // in another region than the client's eu-west-1
	}{
		{"arn:aws:dynamodb:us-east-1:123456789012:table/t", "DeleteTable", true},
		{"arn:aws:sqs:us-east-1:123456789012:q", "GetQueueUrl", true},
		{"arn:aws:sns:us-east-1:123456789012:t", "DeleteTopic", true},
		{"arn:aws:lambda:us-east-1:123456789012:function:f", "DELETE functions", true},
		{"arn:aws:logs:us-east-1:123456789012:log-group:/aws/lambda/f", "DeleteLogGroup", true},
		{"arn:aws:cloudwatch:us-east-1:123456789012:alarm:a", "DeleteAlarms", true},
		{"arn:aws:kms:us-east-1:123456789012:key/0f1e2d3c", "ScheduleKeyDeletion", true},
		{"arn:aws:dynamodb:eu-west-1:123456789012:table/t", "DeleteTable", false},
		{"arn:aws:cloudwatch::123456789012:dashboard/d", "", false}, // CloudWatch's protocol is not served here: only tried
		{"arn:aws:iam::123456789012:role/r", "DeleteRole", false},
	} {
		t.Run(tc.arn, func(t *testing.T) {
			api := &fakeAPI{ops: map[string]func(map[string]string) (any, *apiErr){}}
			for _, op := range []string{"DeleteTable", "GetQueueUrl", "DeleteTopic", "DELETE functions", "DeleteLogGroup",
				"DeleteAlarms", "ScheduleKeyDeletion", "DeleteRole"} {
				api.ops[op] = func(map[string]string) (any, *apiErr) { return nil, &apiErr{"ResourceNotFoundException", 400} }
			}
			api.ops["DeleteRole"] = func(map[string]string) (any, *apiErr) { return nil, &apiErr{"NoSuchEntity", 404} }
			for _, list := range []string{"ListInstanceProfilesForRole", "ListRolePolicies", "ListAttachedRolePolicies"} {
				api.ops[list] = func(map[string]string) (any, *apiErr) { return xmlReply("<IsTruncated>false</IsTruncated>"), nil }
			}
			err := api.account(t).Delete(context.Background(), Resource{ARN: tc.arn})
			if tc.moved {
				if !errors.Is(err, ErrOtherRegion) || !strings.Contains(err.Error(), "us-east-1") || !strings.Contains(err.Error(), "eu-west-1") {
					t.Errorf("Delete: %v, want ErrOtherRegion naming both regions", err)
				}
				if len(api.calls) != 0 {
					t.Errorf("called %v for a resource of another region", api.calls)
				}
				return
			}
			if tc.op == "" {
				if errors.Is(err, ErrOtherRegion) || len(api.calls) == 0 {
					t.Errorf("Delete: %v after %d calls, want it tried", err, len(api.calls))
				}
				return
			}
			if err != nil || api.called(tc.op) != 1 {
				t.Errorf("Delete: %v after %v, want one %s", err, api.calls, tc.op)
			}
		})
	}
}
