/* Keeps the support library non-empty. */
typedef int cairn_test_support_empty;
