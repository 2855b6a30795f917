#ifndef CRASHSIFT_BUILD_INFO_H
#define CRASHSIFT_BUILD_INFO_H

// The git commit baked in at build time by scripts/package.sh, which passes
// -Xcc -DCRASHSIFT_GIT_COMMIT="<sha>"; an empty string in a plain `swift build`.
// A C define is the one build-time value SwiftPM lets a command line set without editing or
// generating sources, so a release is built from the committed tree as it is.
const char *crashsift_baked_commit(void);

#endif
