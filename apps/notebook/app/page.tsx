import { NotebookList } from '../components/notebook-list.tsx';

export default function Home() {
  return <NotebookList />;
}
