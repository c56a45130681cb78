package main

// echoRoom is chapter 05's echo server written on the room's hooks: each
// message goes back to its sender only, as the same type. The tests
// carried from chapter 05 run against it (startServer's default), so
// everything 05 answers, 06 answers the same, through the room's queues
// and writer goroutines.
func echoRoom(h *hub) {
	h.onMessage = func(cl *client, opcode byte, msg []byte) error {
		h.send(cl, prepareFrame(opcode, msg))
		return nil
	}
}
