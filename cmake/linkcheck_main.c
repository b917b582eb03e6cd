/* Link check of one library (CMakeLists.txt): the library's objects are
 * linked whole, with only the libraries it declares beneath it. Nothing is
 * run; the program exists so that an undefined symbol fails the build. */
int main(void);
int main(void)
{
	return 0;
}
