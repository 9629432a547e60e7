package filetable

import "strings"

//go:generate go run gen.go -o reserved_table.go

// isReserved says whether DynamoDB reserves the word in expressions: a
// plain name that is one must be written as a #placeholder.
func isReserved(name string) bool { return reservedWords[strings.ToUpper(name)] }
