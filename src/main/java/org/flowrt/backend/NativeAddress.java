package org.flowrt.backend;

import org.bytedeco.javacpp.Pointer;

/** JavaCPP pointers over raw addresses (device or host) that flowrt's pool owns. */
public final class NativeAddress {
  private NativeAddress() {}

  /** A non-owning Pointer at the address: JavaCPP never frees it. */
  public static Pointer pointer(long address) {
    return new AddressPointer(address);
  }

  private static final class AddressPointer extends Pointer {
    AddressPointer(long address) {
      this.address = address;
    }
  }
}
