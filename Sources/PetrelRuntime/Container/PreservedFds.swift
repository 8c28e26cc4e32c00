import CExecutor

/// `--preserve-fds N` (plus LISTEN_FDS) hands fds 3..3+N-1 to the container. Each must have
/// come from the caller: a number the caller left free is taken by one of the runtime's own
/// files (the state lock, the exec fifo, a socket), which the container would then hold,
/// and a held state lock makes `run` and even `delete -f` wait for ever. runc fails the same
/// way ("unable to stat preserved-fd").
enum PreservedFds {
    static func check(_ count: Int32, flag: String = "--preserve-fds") throws(RuntimeError) {
        guard count > 0 else { return }
        let firstFree = petrel_first_free_fd_at_start()
        guard firstFree >= 0 else { return }  // not recorded (the library inside another program)
        guard firstFree >= 3 + count else {
            throw RuntimeError(
                "\(flag) \(count): fd \(firstFree) was not open when petrel started; the caller must pass fds 3 to \(2 + count)")
        }
    }
}
