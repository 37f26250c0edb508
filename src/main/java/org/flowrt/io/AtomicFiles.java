package org.flowrt.io;

import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;

/**
 * Replacing a file so that a crash never leaves it half-written: the new content goes to a
 * temporary file beside it (".NAME.*.tmp"), which is forced to disk and renamed over the target,
 * and the folder is forced too so that the rename itself survives a power loss. A failure at any
 * point leaves the previous file as it was and removes the temporary one.
 */
public final class AtomicFiles {
  private AtomicFiles() {}

  /** Writes the new content into the temporary file's channel. */
  public interface Body {
    void write(FileChannel channel, Path temporary) throws IOException;
  }

  public static void replace(Path path, Body body) throws IOException {
    replace(path, body, tmp -> {});
  }

  /** As {@link #replace(Path, Body)}, calling `beforeRename` once the temporary file is complete (tests inject failures there). */
  static void replace(Path path, Body body, TemporaryHook beforeRename) throws IOException {
    Path dir = path.toAbsolutePath().getParent();
    Files.createDirectories(dir);
    Path tmp = Files.createTempFile(dir, "." + path.getFileName() + ".", ".tmp");
    try {
      try (FileChannel ch = FileChannel.open(tmp, StandardOpenOption.WRITE, StandardOpenOption.TRUNCATE_EXISTING)) {
        body.write(ch, tmp);
        ch.force(true);
      }
      beforeRename.at(tmp);
      try {
        Files.move(tmp, path, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
      } catch (AtomicMoveNotSupportedException e) {
        Files.move(tmp, path, StandardCopyOption.REPLACE_EXISTING);
      }
      syncFolder(dir);
    } finally {
      Files.deleteIfExists(tmp);
    }
  }

  interface TemporaryHook {
    void at(Path temporary) throws IOException;
  }

  /** Whether `candidate` is a temporary file of a replacement of `target` (left behind by a crash). */
  public static boolean isTemporaryOf(Path candidate, Path target) {
    String n = candidate.getFileName().toString();
    return n.startsWith("." + target.getFileName() + ".") && n.endsWith(".tmp");
  }

  /**
   * Forces the folder's entries to disk (fsync of the file alone does not persist its name). Where a
   * folder cannot be opened for it (not POSIX), this is skipped: the data itself is on disk.
   */
  private static void syncFolder(Path dir) {
    try (FileChannel ch = FileChannel.open(dir, StandardOpenOption.READ)) {
      ch.force(true);
    } catch (IOException | UnsupportedOperationException e) {
      // best effort: not every platform can fsync a directory
    }
  }
}
