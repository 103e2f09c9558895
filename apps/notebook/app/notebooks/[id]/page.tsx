import { NotebookEditor } from '../../../components/notebook-editor.tsx';

export default async function NotebookPage({ params }: { params: Promise<{ id: string }> }) {
  const { id } = await params;
  return <NotebookEditor id={id} />;
}
