// Package backendurl reads a Pulumi state backend URL as the Pulumi CLI
// reads it, so that a program and the CLI it starts name one backend, and
// writes it as a run should hand it to the CLI.
package backendurl

import (
	"fmt"
	"net/url"
	"os"
	"os/user"
	"path/filepath"
	"strconv"
	"strings"
)

// Resolve is backendURL as the Pulumi CLI resolves it (massageBlobPath in
// pkg/backend/diy/backend.go of pulumi/pulumi), so that a program, the CLI
// it starts in another working directory, and a lock taken in it
// (stacklock) all name one backend. A file backend's path: ~ is the
// account's home directory (os/user, as the CLI: not $HOME), a relative
// path is made absolute against this process's working directory, the path
// cleaned; its query kept. An s3 backend's query parameters of the AWS
// SDK v1 era are translated as the CLI translates them (gocloud refuses
// them). Any other URL is returned as it is.
func Resolve(backendURL string) (string, error) {
	switch {
	case strings.HasPrefix(backendURL, "file://"):
		p, query, _ := strings.Cut(strings.TrimPrefix(backendURL, "file://"), "?")
		if strings.HasPrefix(p, "~") {
			u, err := user.Current()
			if err != nil {
				return "", fmt.Errorf("backend path %s: the home directory: %w", p, err)
			}
			// As the CLI: whatever follows "~" and one character is
			// under the home directory.
			if p == "~" {
				p = u.HomeDir
			} else {
				p = filepath.Join(u.HomeDir, p[2:])
			}
		}
		p, err := filepath.Abs(p)
		if err != nil {
			return "", fmt.Errorf("backend path: %w", err)
		}
		if query != "" {
			query = "?" + query
		}
		return "file://" + filepath.ToSlash(p) + query, nil
	case strings.HasPrefix(backendURL, "s3://"):
		return s3V1Params(backendURL)
	}
	return backendURL, nil
}

// s3V1Params translates the query parameters of an s3 backend URL that the
// AWS SDK v1 read, as the CLI does (its translateLegacyS3Params):
// disableSSL becomes disable_https, or is dropped when the endpoint names
// its scheme (v1 used it only to choose one); a scheme-less endpoint gets
// https://, or http:// with disableSSL; an endpoint (a store other than
// AWS) gets request_checksum_calculation=when_required unless it or
// $AWS_REQUEST_CHECKSUM_CALCULATION says otherwise (some such stores refuse
// v2's streamed checksums). A URL with nothing to translate is returned as
// it is.
func s3V1Params(backendURL string) (string, error) {
	u, err := url.Parse(backendURL)
	if err != nil {
		return "", fmt.Errorf("backend URL: %w", err)
	}
	q := u.Query()
	changed, disableSSL := false, false
	if vs, ok := q["disableSSL"]; ok {
		if disableSSL, err = strconv.ParseBool(vs[len(vs)-1]); err != nil {
			return "", fmt.Errorf("backend URL: query parameter disableSSL: %w", err)
		}
		q.Del("disableSSL")
		if !strings.Contains(q.Get("endpoint"), "://") {
			q.Set("disable_https", strconv.FormatBool(disableSSL))
		}
		changed = true
	}
	if endpoint := q.Get("endpoint"); endpoint != "" {
		if !strings.Contains(endpoint, "://") {
			scheme := "https://"
			if disableSSL {
				scheme = "http://"
			}
			q.Set("endpoint", scheme+endpoint)
			changed = true
		}
		if q.Get("request_checksum_calculation") == "" && os.Getenv("AWS_REQUEST_CHECKSUM_CALCULATION") == "" {
			q.Set("request_checksum_calculation", "when_required")
			changed = true
		}
	}
	if !changed {
		return backendURL, nil
	}
	u.RawQuery = q.Encode()
	return u.String(), nil
}

// NoSidecars is backendURL as a run should hand it to the CLI: a file
// backend's with fileblob's metadata=skip, unless the URL sets metadata
// itself; any other backend's as it is. fileblob writes each file under a
// temporary name and renames it into place, but first rewrites the file's
// ".attrs" sidecar in place (truncated, then written): a run that reads a
// stack while another writes it can read the sidecar empty and fail with
// "failed to load checkpoint: EOF" (seen in CI: two first runs of one pull
// request). The sidecars hold a content type and an MD5 that nothing reads
// back; without them a read sees the old file or the new one, whole.
// Sidecars written before are left as they are, and are then never
// rewritten.
func NoSidecars(backendURL string) string {
	if !strings.HasPrefix(backendURL, "file://") {
		return backendURL
	}
	base, query, _ := strings.Cut(backendURL, "?")
	q, err := url.ParseQuery(query)
	if err != nil || q.Has("metadata") {
		return backendURL // the CLI reports a malformed query; a set metadata is the user's choice
	}
	if query != "" {
		query += "&"
	}
	return base + "?" + query + "metadata=skip"
}
