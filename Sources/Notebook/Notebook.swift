internal import CMark
