package iamdata

import (
	"regexp"
	"strings"
)

// Covers reports whether an IAM resource pattern matches every ARN of the
// format, such as "arn:${Partition}:lambda:${Region}:${Account}:function:${FunctionName}":
// whether, in the partition, region and account the pattern names, it
// leaves the resource's own id free. arn:aws:lambda:*:*:function:* and
// arn:aws:dynamodb:eu-west-1:1:table/* cover their type;
// arn:aws:s3:::bucket/* (the objects of one bucket) and
// arn:aws:sqs:eu-west-1:1:team-* do not.
func Covers(pattern, format string) bool {
	pat := strings.SplitN(pattern, ":", 6)
	fmtSeg := strings.SplitN(format, ":", 6)
	// The partition, region and account are where the grant applies, not
	// which resource: take them as the pattern names them (unless the
	// pattern ends there, with a * that may stand for more).
	for i, v := range map[int]string{1: "${Partition}", 3: "${Region}", 4: "${Account}"} {
		if i < len(pat)-1 && len(fmtSeg) == 6 && fmtSeg[i] == v {
			fmtSeg[i] = pat[i]
		}
	}
	return coversTokens(pattern, tokens(strings.Join(fmtSeg, ":")))
}

// token is one character of an ARN format, or (lit false) a variable that
// stands for any value.
type token struct {
	c   byte
	lit bool
}

func tokens(format string) []token {
	var out []token
	for i := 0; i < len(format); i++ {
		if strings.HasPrefix(format[i:], "${") {
			if end := strings.IndexByte(format[i:], '}'); end > 0 {
				out = append(out, token{})
				i += end
				continue
			}
		}
		out = append(out, token{c: format[i], lit: true})
	}
	return out
}

// coversTokens matches a glob against a format whose variables may be any
// string: only * can stand for a variable, as a character or ? cannot match
// every value of it.
func coversTokens(pattern string, ts []token) bool {
	// m[j] is whether pattern[:i] covers ts[:j], row by row.
	m := make([]bool, len(ts)+1)
	m[0] = true
	for i := 0; i < len(pattern); i++ {
		next := make([]bool, len(ts)+1)
		switch pattern[i] {
		case '*':
			seen := false
			for j := range next {
				seen = seen || m[j]
				next[j] = seen
			}
		default:
			for j := 1; j <= len(ts); j++ {
				t := ts[j-1]
				next[j] = m[j-1] && t.lit && (pattern[i] == '?' || pattern[i] == t.c)
			}
		}
		m = next
	}
	return m[len(ts)]
}

// NamesGlobally reports whether an ARN, whatever its region and account
// segments say, names its resource exactly among all accounts: its
// resource part has no wildcard and fits a resource type of its service
// whose ARNs hold no region and no account, such as an S3 bucket's
// (arn:${Partition}:s3:::${BucketName}), whose names are unique across
// accounts.
func (d *Data) NamesGlobally(arn string) bool {
	parts := strings.SplitN(arn, ":", 6)
	if len(parts) < 6 || strings.ContainsAny(parts[5], "*?") {
		return false
	}
	s := d.Services[strings.ToLower(parts[2])]
	if s == nil {
		return false
	}
	for _, format := range s.ResourceTypes {
		f := strings.SplitN(format, ":", 6)
		if len(f) == 6 && f[3] == "" && f[4] == "" && Match(variables.ReplaceAllString(f[5], "*"), parts[5]) {
			return true
		}
	}
	return false
}

var variables = regexp.MustCompile(`\$\{[^}]*\}`)
