/**
 * Import messages in the window's words: the engine's warnings name command-line options
 * (`--tz`), which the import wizard offers as a form field instead; an empty file is said to
 * be empty rather than "not recognised".
 */
export interface WarningLike {
  code: string;
  message: string;
}

/** A warning as the import wizard shows it: `file` is the file's name, `zoneChosen` whether the form names a zone. */
export function importWarningText(w: WarningLike, file: string, zoneChosen: boolean): string {
  if (w.code === 'assumed_utc')
    return zoneChosen
      ? `${file} has local timestamps without a zone; they were read in the time zone chosen above.`
      : `${file} has local timestamps without a zone; they are read as UTC. Choose “Time zone of local timestamps” above (and import again) for correct instants.`;
  // Any other message naming a command-line option: say where the window has it.
  return w.message.replace(
    /Re-import with --tz <IANA zone>( \(e\.g\. [^)]*\))?/g,
    'Choose “Time zone of local timestamps” in the import form and import again',
  );
}

/** The empty files of a detection (0 bytes): nothing to detect, map or import. */
export function emptyFiles(detections: readonly { file: string; bytes: number }[]): string[] {
  return detections.filter((d) => d.bytes === 0).map((d) => d.file);
}
