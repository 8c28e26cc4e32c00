// containerd-shim-petrel-v2: placeholder until the skeleton lands.
print("containerd-shim-petrel-v2")
